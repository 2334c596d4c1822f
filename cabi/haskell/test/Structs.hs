{-# LANGUAGE DataKinds #-}
{-# LANGUAGE DeriveGeneric #-}
{-# LANGUAGE DerivingVia #-}
{-# LANGUAGE OverloadedStrings #-}

-- | The record types of cabi/testdata/structs.json, declared the way a Haskell programmer
-- would, without tags: camelCase field names through 'Record'. 'LimitsSnake' is the same record
-- with prefixed fields whose wire names are set to snake_case by 'RecordWith', and 'liftAs'
-- lifts a value as one of them by its name in the file.
module Structs
  ( Summary (..)
  , Limits (..)
  , LimitsSnake (..)
  , Shape (..)
  , Point (..)
  , liftAs
  ) where

import Data.Text (Text)
import GHC.Generics (Generic)
import Virgil.Msgpack
import Prelude hiding (max, min)

data Summary = Summary {count :: Int, mean :: Double, min :: Double, max :: Double}
  deriving stock (Eq, Show, Generic)
  deriving (ToMsgpack, FromMsgpack) via (Record Summary)

data Limits = Limits {maxValue :: Int, minValue :: Int, note :: Maybe Text}
  deriving stock (Eq, Show, Generic)
  deriving (ToMsgpack, FromMsgpack) via (Record Limits)

-- | Limits with the wire names max_value, min_value and note.
data LimitsSnake = LimitsSnake {lsMaxValue :: Int, lsMinValue :: Int, lsNote :: Maybe Text}
  deriving stock (Eq, Show, Generic)
  deriving (ToMsgpack, FromMsgpack) via (RecordWith '[ 'StripPrefix "ls", 'SnakeCase] LimitsSnake)

data Shape = Shape {name :: Text, origin :: Point, tags :: [Text]}
  deriving stock (Eq, Show, Generic)
  deriving (ToMsgpack, FromMsgpack) via (Record Shape)

data Point = Point {x :: Double, y :: Double}
  deriving stock (Eq, Show, Generic)
  deriving (ToMsgpack, FromMsgpack) via (Record Point)

-- | Lifts a value as the named type ("LimitsSnake" for the snake_case variant) and lowers it
-- again, so that the result can be compared with the file's value.
liftAs :: Text -> Value -> Maybe (Either FromError Value)
liftAs t v = case t of
  "Summary" -> Just (toMsgpack <$> (fromMsgpack v :: Either FromError Summary))
  "Limits" -> Just (toMsgpack <$> (fromMsgpack v :: Either FromError Limits))
  "LimitsSnake" -> Just (toMsgpack <$> (fromMsgpack v :: Either FromError LimitsSnake))
  "Shape" -> Just (toMsgpack <$> (fromMsgpack v :: Either FromError Shape))
  "Point" -> Just (toMsgpack <$> (fromMsgpack v :: Either FromError Point))
  _ -> Nothing
